/** @jsxImportSource preact */
import { useEffect, useState } from 'preact/hooks';
import { PageHeader } from '../components/layout';
import { ErrorNotice, Loading, Notice } from '../components/notice';
import { WebhookForm, focusField } from '../components/webhook-form';
import { ApiError } from '../lib/api';
import { useApp } from '../lib/app-context';
import { firstErrorField, mapDetails, type FormField } from '../lib/field-errors';
import { describeValidation } from '../lib/labels';
import { navigate, paths } from '../lib/router';
import type { Webhook } from '../lib/types';
import { useLoad } from '../lib/use-async';
import { clearChangedErrors, formFromWebhook, toPatchBody, urlChangeNeedsValidation, type WebhookFormValues } from '../lib/webhook-form';

/** Edit: Name, URL, Event Types (and the retry settings). Only changed fields are sent. */
export function EditWebhook({ id }: { id: string }) {
  const { api } = useApp();
  const loaded = useLoad(() => api.getWebhook(id), [id]);
  const webhook = loaded.data;

  return (
    <>
      <PageHeader
        title={webhook ? `Edit “${webhook.name}”` : 'Edit webhook'}
        crumbs={[{ label: 'Webhooks', to: paths.list() }, ...(webhook ? [{ label: webhook.name, to: paths.webhook(id) }] : []), { label: 'Edit' }]}
      />
      {loaded.state === 'loading' && !webhook && <Loading label="Loading the webhook…" />}
      {loaded.state === 'error' && !webhook && <ErrorNotice title="The webhook could not be loaded." error={loaded.error} onRetry={loaded.reload} />}
      {webhook && <EditForm key={webhook.id} webhook={webhook} />}
    </>
  );
}

function EditForm({ webhook }: { webhook: Webhook }) {
  const { api } = useApp();
  const [values, setValues] = useState<WebhookFormValues>(() => formFromWebhook(webhook));
  const [errors, setErrors] = useState<Partial<Record<FormField, string>>>({});
  const [formError, setFormError] = useState<{ error: Error; other: string[] } | null>(null);
  const [nothing, setNothing] = useState(false);
  const [pending, setPending] = useState(false);
  const needsValidation = urlChangeNeedsValidation(webhook, values);

  useEffect(() => setNothing(false), [values]);

  const showErrors = (fields: Partial<Record<FormField, string>>) => {
    setErrors(fields);
    const first = firstErrorField(fields);
    if (first) setTimeout(() => focusField(first));
  };

  const submit = async () => {
    setFormError(null);
    const built = toPatchBody(webhook, values);
    if (!built.ok) return showErrors(built.errors);
    setErrors({});
    if (Object.keys(built.body).length === 0) return setNothing(true);
    setPending(true);
    try {
      const saved = await api.updateWebhook(webhook.id, built.body);
      navigate(paths.list(), { message: `“${saved.name}” was saved.${built.body.url && webhook.status === 'active' ? ' The new URL passed validation and is in use.' : ''}` });
    } catch (e) {
      setPending(false);
      const error = e as Error;
      if (error instanceof ApiError && error.code === 'validation_failed') {
        // The API kept the old URL and the webhook stays active: say so next to the URL.
        const result = error.validation ? ` ${describeValidation(error.validation)}` : '';
        setFormError({ error, other: [] });
        return showErrors({ url: `The new URL was refused.${result}` });
      }
      const mapped = error instanceof ApiError ? mapDetails(error.details) : { fields: {}, other: [] };
      setFormError({ error, other: mapped.other });
      showErrors(mapped.fields);
    }
  };

  return (
    <section class="card card-form" aria-label="Webhook details">
      {webhook.status === 'archived' && <Notice kind="warning">This webhook is archived. Restore it before changing it.</Notice>}
      <WebhookForm
        values={values}
        onChange={(next) => {
          setErrors((current) => clearChangedErrors(current, values, next));
          setFormError(null);
          setValues(next);
        }}
        errors={errors}
        pending={pending}
        pendingLabel={needsValidation ? 'Validating the new URL…' : 'Saving…'}
        onSubmit={() => void submit()}
        onCancel={() => navigate(paths.list())}
        urlNote={
          needsValidation && (
            <Notice kind="info">
              This webhook is active, so the new URL is validated before it is saved: the service sends it a signed
              validation request, and saves the URL only if it answers with a 2xx. Until then, deliveries keep going to the
              current URL.
            </Notice>
          )
        }
        footer={
          <>
            {nothing && <Notice kind="info">Nothing has changed, so there is nothing to save.</Notice>}
            {formError && <ErrorNotice title="The changes were not saved." error={formError.error} details={formError.other} />}
          </>
        }
      />
    </section>
  );
}
