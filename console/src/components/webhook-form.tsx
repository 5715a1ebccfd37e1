/** @jsxImportSource preact */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { FormField } from '../lib/field-errors';
import { EVENT_TYPE_NAMES } from '../lib/labels';
import { EVENT_TYPES, type EventType } from '../lib/types';
import { defaultBackoff, formatBackoff, type WebhookFormValues } from '../lib/webhook-form';

export const fieldId = (field: FormField) => `field-${field}`;
const errorId = (field: FormField) => `field-${field}-error`;

function FieldError({ field, errors }: { field: FormField; errors: Partial<Record<FormField, string>> }) {
  const message = errors[field];
  if (!message) return null;
  return (
    <p class="field-error" id={errorId(field)}>
      {message}
    </p>
  );
}

const describedBy = (...ids: (string | false | undefined)[]) => ids.filter(Boolean).join(' ') || undefined;

export interface WebhookFormProps {
  values: WebhookFormValues;
  onChange: (values: WebhookFormValues) => void;
  errors: Partial<Record<FormField, string>>;
  onSubmit: () => void;
  pending: boolean;
  /** Shown under the URL field (e.g. why a new URL of an active webhook will be validated first). */
  urlNote?: ComponentChildren;
  /** Above the buttons: the form-level error, if any. */
  footer?: ComponentChildren;
  submitLabel?: string;
  pendingLabel?: string;
  onCancel?: () => void;
}

/** Name, URL, event-type toggles and the optional retry settings; errors next to their fields. */
export function WebhookForm(props: WebhookFormProps) {
  const { values, errors } = props;
  const [retryOpen, setRetryOpen] = useState(false);
  const set = (patch: Partial<WebhookFormValues>) => props.onChange({ ...values, ...patch });
  const toggle = (type: EventType, on: boolean) =>
    set({ eventTypes: on ? [...values.eventTypes.filter((t) => t !== type), type] : values.eventTypes.filter((t) => t !== type) });
  const allChosen = EVENT_TYPES.every((t) => values.eventTypes.includes(t));
  const retryErrors = Boolean(errors.maxAttempts || errors.backoffSeconds);

  const onAttempts = (text: string) => {
    const previous = Number(values.maxAttempts);
    const untouched = Number.isInteger(previous) && values.backoffSeconds.trim() === formatBackoff(defaultBackoff(previous));
    const next = Number(text);
    // Follow the default schedule while the waits have not been edited by hand.
    if (untouched && Number.isInteger(next) && next >= 1 && next <= 10) set({ maxAttempts: text, backoffSeconds: formatBackoff(defaultBackoff(next)) });
    else set({ maxAttempts: text });
  };

  return (
    <form
      class="form"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (!props.pending) props.onSubmit();
      }}
    >
      <div class="field">
        <label for={fieldId('name')}>Name</label>
        <input
          id={fieldId('name')}
          name="name"
          type="text"
          autocomplete="off"
          maxLength={100}
          value={values.name}
          onInput={(e) => set({ name: e.currentTarget.value })}
          aria-invalid={errors.name ? 'true' : undefined}
          aria-describedby={describedBy(errors.name && errorId('name'), 'name-help')}
        />
        <p class="help" id="name-help">
          Shown in this console only, e.g. the system that receives the events.
        </p>
        <FieldError field="name" errors={errors} />
      </div>

      <div class="field">
        <label for={fieldId('url')}>URL</label>
        <input
          id={fieldId('url')}
          name="url"
          type="url"
          inputMode="url"
          autocomplete="off"
          spellcheck={false}
          placeholder="https://hooks.example.com/lms"
          value={values.url}
          onInput={(e) => set({ url: e.currentTarget.value })}
          aria-invalid={errors.url ? 'true' : undefined}
          aria-describedby={describedBy(errors.url && errorId('url'), 'url-help', props.urlNote ? 'url-note' : undefined)}
        />
        <p class="help" id="url-help">
          Each event is sent as a signed JSON POST to this address.
        </p>
        {props.urlNote && (
          <div id="url-note" class="field-note">
            {props.urlNote}
          </div>
        )}
        <FieldError field="url" errors={errors} />
      </div>

      <fieldset class="field" aria-describedby={describedBy(errors.eventTypes && errorId('eventTypes'), allChosen && 'volume-note')}>
        <legend id={fieldId('eventTypes')} tabIndex={-1}>
          Event Types
        </legend>
        <p class="help">Choose one, some or all.</p>
        <div class="toggles">
          {EVENT_TYPES.map((type) => {
            const id = `toggle-${type.replace('.', '-')}`;
            return (
              <label class="toggle" for={id} key={type}>
                <input
                  id={id}
                  type="checkbox"
                  role="switch"
                  checked={values.eventTypes.includes(type)}
                  onChange={(e) => toggle(type, e.currentTarget.checked)}
                  aria-invalid={errors.eventTypes ? 'true' : undefined}
                />
                <span class="toggle-track" aria-hidden="true">
                  <span class="toggle-thumb" />
                </span>
                <span class="toggle-text">
                  <span class="toggle-label">{EVENT_TYPE_NAMES[type]}</span>
                  <code class="toggle-code">{type}</code>
                </span>
              </label>
            );
          })}
        </div>
        {allChosen && (
          <p class="field-note" id="volume-note">
            All event types: this webhook gets every completion, badge and attendance event of your organisation, which can
            be many requests a minute at busy times. Make sure the receiver answers quickly (within 15 s) and can keep up.
          </p>
        )}
        <FieldError field="eventTypes" errors={errors} />
      </fieldset>

      <details class="retry" open={retryOpen || retryErrors} onToggle={(e) => setRetryOpen((e.currentTarget as HTMLDetailsElement).open)}>
        <summary>Retry settings (optional)</summary>
        <p class="help">
          A failed delivery is tried again after each wait. The default is 8 attempts over about 27 hours; 1 attempt means
          never retry.
        </p>
        <div class="field-row field-row-top">
          <div class="field field-narrow">
            <label for={fieldId('maxAttempts')}>Attempts</label>
            <input
              id={fieldId('maxAttempts')}
              type="number"
              min={1}
              max={10}
              step={1}
              value={values.maxAttempts}
              onInput={(e) => onAttempts(e.currentTarget.value)}
              aria-invalid={errors.maxAttempts ? 'true' : undefined}
              aria-describedby={describedBy(errors.maxAttempts && errorId('maxAttempts'))}
            />
            <FieldError field="maxAttempts" errors={errors} />
          </div>
          <div class="field field-grow">
            <label for={fieldId('backoffSeconds')}>Wait before each retry (seconds)</label>
            <input
              id={fieldId('backoffSeconds')}
              type="text"
              inputMode="numeric"
              autocomplete="off"
              value={values.backoffSeconds}
              onInput={(e) => set({ backoffSeconds: e.currentTarget.value })}
              aria-invalid={errors.backoffSeconds ? 'true' : undefined}
              aria-describedby={describedBy(errors.backoffSeconds && errorId('backoffSeconds'), 'backoff-help')}
            />
            <p class="help" id="backoff-help">
              One wait per retry (attempts − 1 of them), separated by commas.
            </p>
            <FieldError field="backoffSeconds" errors={errors} />
          </div>
        </div>
      </details>

      {props.footer}

      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled={props.pending} aria-disabled={props.pending}>
          {props.pending ? (props.pendingLabel ?? 'Saving…') : (props.submitLabel ?? 'Save')}
        </button>
        {props.onCancel && (
          <button type="button" class="btn" onClick={props.onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

/** Moves focus to a field that has an error (the first toggle for the event types). */
export function focusField(field: FormField): void {
  const target = field === 'eventTypes' ? document.querySelector<HTMLElement>('.toggles input') : document.getElementById(fieldId(field));
  target?.focus();
}
