import type { z } from 'zod';
import { publishedDetailSchema, type PublishedDetail } from './schemas';
import { EVENT_TYPES, isEventType } from './types';

/** One reason a published event was refused; `path` is dotted, e.g. `data.user.email`. */
export interface DetailIssue {
  path: string;
  message: string;
}

export type ParseDetailResult =
  | { ok: true; value: PublishedDetail }
  | { ok: false; issues: DetailIssue[] };

// An issue about the Detail as a whole (not an object, say) still needs a path an operator can read.
const ROOT_PATH = 'detail';

function joinPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? ROOT_PATH : path.map((key) => String(key)).join('.');
}

function toIssues(error: z.ZodError): DetailIssue[] {
  return error.issues.flatMap((issue): DetailIssue[] => {
    // zod reports all unknown keys as one issue on the parent; one per key names each culprit.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: joinPath([...issue.path, key]),
        message: 'Unknown field.',
      }));
    }
    return [{ path: joinPath(issue.path), message: issue.message }];
  });
}

/**
 * Validates an EventBridge event's Detail against the schema of its DetailType.
 *
 * Never throws: a bad event must end in the dead-letter queue with its reasons, not crash the
 * worker. `detail` may also be the Detail's JSON text, as `PutEvents` carries it.
 *
 * @param detailType - the EventBridge `detail-type`; must be one of the four event types.
 * @param detail - the EventBridge `detail`.
 * @returns the parsed Detail (unknown keys inside `data` stripped), or the issues with dotted paths.
 */
export function parseDetail(detailType: string, detail: unknown): ParseDetailResult {
  try {
    if (typeof detailType !== 'string' || !isEventType(detailType)) {
      return {
        ok: false,
        issues: [
          {
            path: 'detail-type',
            message: `Unknown event type ${JSON.stringify(detailType)}; expected one of ${EVENT_TYPES.join(', ')}.`,
          },
        ],
      };
    }
    let input = detail;
    if (typeof input === 'string') {
      try {
        input = JSON.parse(input);
      } catch {
        return { ok: false, issues: [{ path: ROOT_PATH, message: 'The detail is not valid JSON.' }] };
      }
    }
    const result = publishedDetailSchema(detailType).safeParse(input);
    if (!result.success) return { ok: false, issues: toIssues(result.error) };
    return { ok: true, value: result.data };
  } catch (error) {
    // safeParse does not throw on bad input, but a hostile object (a throwing getter) can.
    const reason = error instanceof Error ? error.message : 'unknown error';
    return { ok: false, issues: [{ path: ROOT_PATH, message: `The detail could not be read: ${reason}` }] };
  }
}
