/** @jsxImportSource preact */
import { useState } from 'preact/hooks';
import { ActivationSteps } from '../components/activation';
import { Link, PageHeader } from '../components/layout';
import { ErrorNotice, Notice } from '../components/notice';
import { SecretValue } from '../components/secret-panel';
import { WebhookForm, focusField } from '../components/webhook-form';
import { ApiError } from '../lib/api';
import { useApp } from '../lib/app-context';
import { firstErrorField, mapDetails, type FormField } from '../lib/field-errors';
import { paths } from '../lib/router';
import type { Webhook } from '../lib/types';
import { clearChangedErrors, emptyForm, toCreateBody } from '../lib/webhook-form';

/** Add A Webhook: the form, then (once saved) the secret and the Validate → Activate steps. */
export function NewWebhook() {
  const { api } = useApp();
  const [values, setValues] = useState(emptyForm);
  const [errors, setErrors] = useState<Partial<Record<FormField, string>>>({});
  const [formError, setFormError] = useState<{ error: Error; other: string[] } | null>(null);
  const [pending, setPending] = useState(false);
  const [created, setCreated] = useState<{ webhook: Webhook; secret: string } | null>(null);

  const showErrors = (fields: Partial<Record<FormField, string>>) => {
    setErrors(fields);
    const first = firstErrorField(fields);
    if (first) setTimeout(() => focusField(first));
  };

  const submit = async () => {
    setFormError(null);
    const built = toCreateBody(values);
    if (!built.ok) return showErrors(built.errors);
    setErrors({});
    setPending(true);
    try {
      const { secret, ...webhook } = await api.createWebhook(built.body);
      setCreated({ webhook, secret });
      setTimeout(() => document.getElementById('saved-title')?.focus());
    } catch (e) {
      const error = e as Error;
      const mapped = error instanceof ApiError ? mapDetails(error.details) : { fields: {}, other: [] };
      setFormError({ error, other: mapped.other });
      showErrors(mapped.fields);
    } finally {
      setPending(false);
    }
  };

  if (created) {
    const { webhook } = created;
    return (
      <>
        <PageHeader title="Add A Webhook" crumbs={[{ label: 'Webhooks', to: paths.list() }, { label: 'Add A Webhook' }]} />
        <section class="card card-wide" aria-labelledby="saved-title">
          <h2 id="saved-title" class="card-title" tabIndex={-1}>
            Webhook saved
          </h2>
          <Notice kind="success">
            “{webhook.name}” was saved. It is inactive until you validate its URL and activate it.
          </Notice>
          <h3 class="subheading">Signing secret</h3>
          <p class="muted">
            Receivers verify each request's <code>webhook-signature</code> header with this secret. You can reveal it
            again later from the webhook's page.
          </p>
          <SecretValue secret={created.secret} />
          <ActivationSteps webhook={webhook} onChange={(w) => setCreated({ ...created, webhook: w })} />
          <div class="button-row">
            <Link to={paths.webhook(webhook.id)} class="btn">
              Open logs
            </Link>
            <Link to={paths.list()} class="btn btn-ghost">
              Back to Webhooks
            </Link>
          </div>
        </section>
      </>
    );
  }

  return (
    <>
      <PageHeader title="Add A Webhook" crumbs={[{ label: 'Webhooks', to: paths.list() }, { label: 'Add A Webhook' }]}>
        <p class="lead">Choose where to send events and which events to send. You validate and activate it after saving.</p>
      </PageHeader>
      <section class="card card-form" aria-label="Webhook details">
        <WebhookForm
          values={values}
          onChange={(next) => {
            setErrors((current) => clearChangedErrors(current, values, next));
            setFormError(null);
            setValues(next);
          }}
          errors={errors}
          pending={pending}
          onSubmit={() => void submit()}
          footer={formError && <ErrorNotice title="The webhook was not saved." error={formError.error} details={formError.other} />}
        />
      </section>
    </>
  );
}
