import type { ErrorDetail } from './types';

/** The form's fields that an API error can point at. */
export type FormField = 'name' | 'url' | 'eventTypes' | 'maxAttempts' | 'backoffSeconds';

export interface MappedErrors {
  /** One message per field (several details on one field are joined). */
  fields: Partial<Record<FormField, string>>;
  /** Details that name no field of the form (e.g. an unknown field), shown above the form. */
  other: string[];
}

/**
 * Maps a 422's `details[].path` (dotted, as the API writes them: `url`, `eventTypes.1`,
 * `retryPolicy.backoffSeconds.2`) to the form field that shows the message.
 */
export function fieldForPath(path: string): FormField | null {
  const [head, second] = path.split('.');
  switch (head) {
    case 'name':
    case 'url':
    case 'eventTypes':
      return head;
    case 'retryPolicy':
      if (second === 'maxAttempts') return 'maxAttempts';
      // The refinement on the whole policy (entries vs attempts) is about the backoff list.
      return 'backoffSeconds';
    default:
      return null;
  }
}

/** Sorts the API's details onto the form's fields. */
export function mapDetails(details: readonly ErrorDetail[]): MappedErrors {
  const fields: Partial<Record<FormField, string>> = {};
  const other: string[] = [];
  for (const detail of details) {
    const field = fieldForPath(detail.path);
    if (!field) {
      other.push(`${detail.path}: ${detail.message}`);
      continue;
    }
    const existing = fields[field];
    if (existing === undefined) fields[field] = detail.message;
    else if (!existing.includes(detail.message)) fields[field] = `${existing} ${detail.message}`;
  }
  return { fields, other };
}

/** The order fields appear in the form: the first with an error gets the focus. */
export const FIELD_ORDER: readonly FormField[] = ['name', 'url', 'eventTypes', 'maxAttempts', 'backoffSeconds'];

export function firstErrorField(fields: Partial<Record<FormField, string>>): FormField | null {
  return FIELD_ORDER.find((f) => fields[f] !== undefined) ?? null;
}
