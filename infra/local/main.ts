/**
 * `npm start`: the whole system on this machine, on loopback only.
 */
import * as z from 'zod';
import { fallback } from './console-static';
import { startLocalStack } from './stack';
import { findMoto, MotoMissingError } from './moto';
import { resourceNames } from '../resources';

// This machine runs Node 20; Lambda runs nodejs22.x. The SDK's notice about future Node 22
// requirements is not news to a developer running the local stack.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const env = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    AWS_ENDPOINT_PORT: z.coerce.number().int().min(0).max(65535).default(4566),
    WEBHOOKS_API_KEY: z.string().min(8, 'WEBHOOKS_API_KEY must be at least 8 characters').default('local-dev-key'),
    WEBHOOKS_ALLOW_LOOPBACK: z.enum(['true', 'false']).default('true'),
  })
  .safeParse(process.env);

if (!env.success) {
  for (const issue of env.error.issues) console.error(`${issue.path.join('.')}: ${issue.message}`);
  process.exit(2);
}
const { PORT, AWS_ENDPOINT_PORT, WEBHOOKS_API_KEY, WEBHOOKS_ALLOW_LOOPBACK } = env.data;

if (!(await findMoto())) {
  console.error(new MotoMissingError().message);
  process.exit(1);
}

const quiet = process.env.LOG_LEVEL === undefined;
if (quiet) process.env.LOG_LEVEL = 'warn';

console.log('Starting the local stack…');
let stack: Awaited<ReturnType<typeof startLocalStack>>;
try {
  stack = await startLocalStack({
    port: PORT,
    awsPort: AWS_ENDPOINT_PORT,
    apiKey: WEBHOOKS_API_KEY,
    allowLoopback: WEBHOOKS_ALLOW_LOOPBACK === 'true',
    fallback,
    log: (line) => console.error(line),
  });
} catch (error) {
  console.error(`Could not start: ${(error as Error).message}`);
  process.exit(1);
}

const names = resourceNames();
console.log(`
LMS webhooks, local stack
  admin console    ${stack.apiUrl}/   (sign in with the API key below)
  management API   ${stack.apiUrl}   (GET /health, /v1/...)
  AWS endpoint     ${stack.endpoint}   (moto: EventBridge bus "${names.eventBus}", SQS, DynamoDB, S3), region ${stack.region}
  tenant           local
  API key          ${stack.apiKey}
  loopback targets ${WEBHOOKS_ALLOW_LOOPBACK === 'true' ? 'allowed' : 'blocked'}; http allowed

Try:  curl -H 'authorization: Bearer ${stack.apiKey}' ${stack.apiUrl}/v1/event-types
Ready. Ctrl-C stops everything.${quiet ? ' (LOG_LEVEL=debug shows every delivery.)' : ''}
`);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping…`);
  const force = setTimeout(() => process.exit(1), 15_000);
  force.unref();
  await stack.stop();
  console.log('Stopped.');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
