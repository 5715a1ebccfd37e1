/** The CDK app (cdk.json runs it with tsx). Context: see webhooksStackPropsFromContext. */
import { App } from 'aws-cdk-lib';
import { buildWebhooksApp } from './webhooks-app';

buildWebhooksApp(new App());
