/**
 * The console's CDK construct, asserted offline: private bucket behind Origin Access
 * Control, the API behaviours, the SPA rewrite and the security headers, and a clean
 * cdk-nag report. A placeholder source keeps the test independent of `npm run build`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Source } from 'aws-cdk-lib/aws-s3-deployment';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConsoleSite } from '../../infra/constructs/console-site';

type Resource = { Type: string; Properties: Record<string, any> };

let app: App;
let template: Template;
let resources: Record<string, Resource>;
let site: ConsoleSite;

beforeAll(() => {
  app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'ConsoleProbe', { env: { account: '123456789012', region: 'eu-west-1' } });
  site = new ConsoleSite(stack, 'Console', {
    apiDomainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
    sources: [Source.data('index.html', '<!doctype html><title>console</title>')],
  });
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
});

const byType = (type: string) => Object.values(resources).filter((r) => r.Type === type);

describe('ConsoleSite', () => {
  it('keeps the bucket private: public access blocked, TLS only, SSE-S3', () => {
    const site = byType('AWS::S3::Bucket').find((b) => b.Properties.LoggingConfiguration)!;
    expect(site.Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
    for (const policy of byType('AWS::S3::BucketPolicy')) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
    // Only CloudFront (this distribution, through OAC) may read the objects.
    const reads = byType('AWS::S3::BucketPolicy')
      .flatMap((p) => p.Properties.PolicyDocument.Statement as any[])
      .filter((s) => s.Effect === 'Allow' && [s.Action].flat().includes('s3:GetObject'));
    expect(reads).toHaveLength(1);
    expect(reads[0].Principal).toEqual({ Service: 'cloudfront.amazonaws.com' });
    expect(reads[0].Condition.StringEquals['AWS:SourceArn']).toBeDefined();
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
  });

  it('serves index.html at the root and routes /v1/* and /health to the API, uncached, all methods', () => {
    const distribution = byType('AWS::CloudFront::Distribution')[0]!.Properties.DistributionConfig;
    expect(distribution.DefaultRootObject).toBe('index.html');
    expect(distribution.CustomErrorResponses).toBeUndefined();
    const apiOrigin = distribution.Origins.find((o: any) => o.DomainName === 'abc123.execute-api.eu-west-1.amazonaws.com');
    expect(apiOrigin.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
    for (const pattern of ['/v1/*', '/health']) {
      const behavior = distribution.CacheBehaviors.find((b: any) => b.PathPattern === pattern);
      expect(behavior).toMatchObject({
        TargetOriginId: apiOrigin.Id,
        AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
        // Managed policies: CachingDisabled and AllViewerExceptHostHeader.
        CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
        OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
        ViewerProtocolPolicy: 'https-only',
      });
      expect(behavior.ResponseHeadersPolicyId).toEqual(distribution.DefaultCacheBehavior.ResponseHeadersPolicyId);
    }
    expect(distribution.DefaultCacheBehavior.FunctionAssociations).toEqual([
      expect.objectContaining({ EventType: 'viewer-request' }),
    ]);
    expect(distribution.Logging).toBeDefined();
  });

  it('rewrites app paths to /index.html and leaves files alone', () => {
    const fn = byType('AWS::CloudFront::Function')[0]!;
    const code = fn.Properties.FunctionCode as string;
    const handler = new Function(`${code}; return handler;`)() as (e: { request: { uri: string } }) => { uri: string };
    const rewrite = (uri: string) => handler({ request: { uri } }).uri;
    expect(rewrite('/')).toBe('/index.html');
    expect(rewrite('/webhooks')).toBe('/index.html');
    expect(rewrite('/webhooks/wh_01JEXAMPLE0000000000000000/edit')).toBe('/index.html');
    expect(rewrite('/assets/index-abc.js')).toBe('/assets/index-abc.js');
    expect(rewrite('/index.html')).toBe('/index.html');
  });

  it('sends the security headers', () => {
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: {
        SecurityHeadersConfig: Match.objectLike({
          ContentSecurityPolicy: { ContentSecurityPolicy: Match.stringLikeRegexp("default-src 'none'"), Override: true },
          ContentTypeOptions: { Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          StrictTransportSecurity: Match.objectLike({ AccessControlMaxAgeSec: 31_536_000 }),
        }),
      },
    });
  });

  it('deploys with a role of its own (no managed policy) and caches only hashed assets for long', () => {
    for (const role of byType('AWS::IAM::Role')) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const deployments = byType('Custom::CDKBucketDeployment');
    expect(deployments).toHaveLength(2);
    const controls = deployments.map((d) => JSON.stringify(d.Properties.SystemMetadata));
    expect(controls.some((c) => c.includes('immutable'))).toBe(true);
    expect(controls.some((c) => c.includes('no-cache'))).toBe(true);
    expect(site.url).toMatch(/^https:\/\//);
  });

  it("takes an HttpApi's domain as documented in its props", () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Wired');
    const api = new HttpApi(stack, 'Api');
    new ConsoleSite(stack, 'Console', { apiDomainName: `${api.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`, sources: [Source.data('index.html', 'x')] });
    const origins = Template.fromStack(stack).findResources('AWS::CloudFront::Distribution');
    const config = (Object.values(origins)[0] as Resource).Properties.DistributionConfig;
    const apiOrigin = config.Origins.find((o: any) => o.CustomOriginConfig);
    expect(JSON.stringify(apiOrigin.DomainName)).toContain(stack.getLogicalId(api.node.defaultChild as CfnElement));
  });

  it('reports no unacknowledged cdk-nag findings, with or without an explicit environment', () => {
    // An environment-agnostic stack (as `cdk synth` offline builds) names the asset bucket
    // with tokens, so its findings are spelled differently: both must be acknowledged.
    const agnostic = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    new ConsoleSite(new Stack(agnostic, 'Agnostic'), 'Console', { apiDomainName: 'abc.execute-api.us-east-1.amazonaws.com', sources: [Source.data('index.html', 'x')] });
    for (const scope of [app, agnostic]) {
      const report = new AwsSolutionsChecks().validateScope(scope);
      expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    }
  });

  it('stops synthesis with the build instruction when the console is not built, and uploads the build when it is', () => {
    const empty = mkdtempSync(join(tmpdir(), 'console-dist-'));
    try {
      expect(() => new ConsoleSite(new Stack(new App(), 'NoBuild'), 'Console', { apiDomainName: 'abc.example.com', distPath: empty })).toThrow(/npm run build/);
      // Template tests skip bundling; they synthesize without a build, with a placeholder page.
      const skipped = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Skipped');
      expect(() => new ConsoleSite(skipped, 'Console', { apiDomainName: 'abc.example.com', distPath: empty })).not.toThrow();
      writeFileSync(join(empty, 'index.html'), '<!doctype html>');
      const built = new Stack(new App(), 'Built');
      new ConsoleSite(built, 'Console', { apiDomainName: 'abc.example.com', distPath: empty });
      expect(Template.fromStack(built).toJSON().Resources).toBeDefined();
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
