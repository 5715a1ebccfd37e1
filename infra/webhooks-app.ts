/**
 * What the CDK app contains, as a function so the infra tests build exactly what
 * `cdk synth` builds (app.ts only calls it).
 */
import { readFileSync } from 'node:fs';
import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { WebhooksStack, webhooksStackPropsFromContext } from './webhooks-stack';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/**
 * Adds the webhooks stack (named `LmsWebhooks-<stage>`, props from context) and the
 * AWS Solutions cdk-nag pack, whose unacknowledged findings stop synthesis.
 */
export function buildWebhooksApp(app: App): WebhooksStack {
  const props = webhooksStackPropsFromContext(app);
  const stack = new WebhooksStack(app, `LmsWebhooks-${props.stage}`, {
    ...props,
    serviceVersion: props.serviceVersion ?? packageJson.version,
    description: `LMS outbound webhooks (${props.stage})`,
    // Account and region come from the CLI's environment when there is one; offline the
    // stack stays environment-agnostic and synthesizes without credentials.
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    terminationProtection: props.stage === 'prod',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return stack;
}
