import * as z from 'zod';

/** Background work for the export worker: CSV exports, and purges after a clear. */
export const jobSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('export'), tenantId: z.string(), exportId: z.string() }),
  z.object({ type: z.literal('purge'), tenantId: z.string(), webhookId: z.string(), upTo: z.string() }),
]);
export type Job = z.infer<typeof jobSchema>;

export interface JobQueue {
  send(job: Job): Promise<void>;
}
