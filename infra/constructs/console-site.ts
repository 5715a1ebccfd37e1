/**
 * The admin console on AWS: console/dist in a private S3 bucket behind CloudFront (Origin
 * Access Control), with `/v1/*` and `/health` routed to the HTTP API on the same origin, so
 * that the console calls relative `/v1/...` URLs exactly as it does on the local stack.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultStackSynthesizer, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  CachedMethods,
  Distribution,
  Function as CloudFrontFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
  type BehaviorOptions,
} from 'aws-cdk-lib/aws-cloudfront';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source, type ISource } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { CONSOLE_SECURITY_HEADERS } from '../local/console-static';

const CONSOLE_DIST = fileURLToPath(new URL('../../console/dist/', import.meta.url));

export interface ConsoleSiteProps {
  /**
   * The HTTP API's domain name, without scheme or path: for an `HttpApi` named `api` in the
   * same stack, `` `${api.apiId}.execute-api.${Stack.of(this).region}.amazonaws.com` ``
   * (the `$default` stage serves at the root, so `/v1/...` maps 1:1).
   */
  readonly apiDomainName: string;
  /**
   * What to upload. Default: the built console in console/dist (run `npm run build` before
   * `cdk synth`; synthesis stops with that instruction when it is missing, except when the
   * stack skips bundling, as template tests do with `aws:cdk:bundling-stacks: []`: then a
   * placeholder page stands in, as NodejsFunction skips its bundling).
   */
  readonly sources?: ISource[];
  /** The build to upload when `sources` is not given. Default console/dist. */
  readonly distPath?: string;
  /** Custom domain names for the distribution; needs `certificate` (in us-east-1). */
  readonly domainNames?: string[];
  readonly certificate?: ICertificate;
  /** Default `RemovalPolicy.RETAIN` (buckets); dev stacks pass DESTROY. */
  readonly removalPolicy?: RemovalPolicy;
  /** Default PRICE_CLASS_100 (North America and Europe edges). */
  readonly priceClass?: PriceClass;
}

/**
 * Rewrites app paths (no file extension: `/webhooks/wh_...`) to /index.html, so that deep
 * links and reloads reach the single-page app. Done per behaviour, not with the
 * distribution's custom error responses: those apply to every origin and would turn the
 * API's own 403 and 404 JSON answers into index.html.
 */
const SPA_REWRITE = `function handler(event) {
  var request = event.request;
  var uri = request.uri;
  var lastSlash = uri.lastIndexOf('/');
  if (uri.indexOf('.', lastSlash) === -1) request.uri = '/index.html';
  return request;
}`;

/**
 * A private bucket (all public access blocked, TLS only, SSE-S3, bucket-owner objects) with
 * the console's files, a CloudFront distribution reading it through Origin Access Control,
 * and a behaviour sending `/v1/*` and `/health` to the HTTP API uncached, with every viewer
 * header but Host (so `Authorization` reaches the API's authorizer) and all methods.
 * Both behaviours get the console's security headers (CSP, HSTS, nosniff, frame DENY, ...).
 */
export class ConsoleSite extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  /** `https://<distribution domain>`: the console, and the API on the same origin. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ConsoleSiteProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    const logs = new Bucket(this, 'LogsBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      // CloudFront's standard logs are delivered with object ACLs, which need this setting.
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ id: 'ExpireLogs', expiration: Duration.days(90) }],
      removalPolicy,
    });
    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'site-bucket/',
      removalPolicy,
    });

    const headers = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'LMS webhooks console: security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: CONSOLE_SECURITY_HEADERS['content-security-policy']!, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [
          { header: 'Cross-Origin-Opener-Policy', value: CONSOLE_SECURITY_HEADERS['cross-origin-opener-policy']!, override: true },
          { header: 'Permissions-Policy', value: CONSOLE_SECURITY_HEADERS['permissions-policy']!, override: true },
        ],
      },
    });

    const spaRewrite = new CloudFrontFunction(this, 'SpaRewrite', {
      code: FunctionCode.fromInline(SPA_REWRITE),
      runtime: FunctionRuntime.JS_2_0,
      comment: 'Serves index.html for the console app paths',
    });

    const api: BehaviorOptions = {
      origin: new HttpOrigin(props.apiDomainName, {
        protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
        originSslProtocols: [OriginSslPolicy.TLS_V1_2],
        // API Gateway gives up after 30 s; CloudFront's default read timeout is the same.
        readTimeout: Duration.seconds(30),
      }),
      viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: AllowedMethods.ALLOW_ALL,
      cachedMethods: CachedMethods.CACHE_GET_HEAD,
      cachePolicy: CachePolicy.CACHING_DISABLED,
      // Every viewer header but Host (API Gateway routes by its own host name); with caching
      // disabled this forwards Authorization too.
      originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      responseHeadersPolicy: headers,
      compress: true,
    };

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'LMS webhooks admin console and API',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
        functionAssociations: [{ function: spaRewrite, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: { '/v1/*': api, '/health': api },
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: props.priceClass ?? PriceClass.PRICE_CLASS_100,
      minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
      domainNames: props.domainNames,
      certificate: props.certificate,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/',
    });
    this.url = `https://${this.distribution.distributionDomainName}`;

    const sources = props.sources ?? [consoleAsset(this, props.distPath ?? CONSOLE_DIST)];
    // The deployment's handler gets a role of its own without managed policies, and a log
    // group with a retention (instead of the deprecated logRetention custom resource).
    const handlerLogs = new LogGroup(this, 'DeployLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const handlerRole = new Role(this, 'DeployRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Copies the console build into its bucket and invalidates CloudFront',
    });
    handlerRole.addToPolicy(new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [handlerLogs.logGroupArn] }));

    // Hashed assets first (cached for a year), then index.html and the rest (revalidated);
    // prune stays off so that a page still open keeps finding the assets it references.
    const assets = new BucketDeployment(this, 'DeployAssets', {
      sources,
      destinationBucket: this.bucket,
      include: ['assets/*'],
      exclude: ['*'],
      prune: false,
      cacheControl: [CacheControl.fromString('public, max-age=31536000, immutable')],
      role: handlerRole,
      logGroup: handlerLogs,
      memoryLimit: 512,
    });
    const pages = new BucketDeployment(this, 'DeployPages', {
      sources,
      destinationBucket: this.bucket,
      exclude: ['assets/*'],
      prune: false,
      cacheControl: [CacheControl.noCache()],
      distribution: this.distribution,
      distributionPaths: ['/index.html', '/'],
      role: handlerRole,
      logGroup: handlerLogs,
      memoryLimit: 512,
    });
    pages.node.addDependency(assets);

    // Findings the design makes unavoidable, each acknowledged with its reason.
    Validations.of(logs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket receives the site bucket\u2019s access logs and CloudFront\u2019s logs; logging it into itself would loop.',
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: 'Admins sign in from anywhere; access is controlled by API keys, not by geography.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason: 'Every /v1 call needs an API key and API Gateway throttles them; the static files are public by nature. A WAF web ACL can be attached per deployment.',
      },
    );
    const deployReason =
      'The grants BucketDeployment makes to copy the build from the CDK asset bucket into the console bucket (read the asset, write and replace objects under the console bucket only).';
    Validations.of(handlerRole).acknowledge(
      ...['Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*', 'Action::s3:DeleteObject*', 'Action::s3:Abort*'].map((finding) => ({
        id: `AwsSolutions-IAM5[${finding}]`,
        reason: deployReason,
      })),
      { id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as never)}.Arn>/*]`, reason: deployReason },
      { id: `AwsSolutions-IAM5[Resource::${assetBucketObjectsFinding(this)}]`, reason: deployReason },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'cloudfront:CreateInvalidation and GetInvalidation after each deployment, as BucketDeployment grants them.',
      },
    );
    // BucketDeployment's handler is a singleton at stack scope; aws-cdk-lib picks its runtime.
    for (const child of Stack.of(this).node.children) {
      if (child.node.id.startsWith('Custom::CDKBucketDeployment')) {
        Validations.of(child).acknowledge({
          id: 'AwsSolutions-L1',
          reason: 'The runtime of the BucketDeployment handler (Python, with the AWS CLI layer) is chosen and updated by aws-cdk-lib, not by this stack.',
        });
      }
    }
    if (!props.certificate) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason: 'Without a custom domain the distribution uses the *.cloudfront.net certificate, whose minimum protocol CloudFront sets; pass domainNames and a certificate to enforce TLSv1.2_2021.',
      });
    }
  }
}

/**
 * The CDK asset bucket's objects as cdk-nag names them in a finding, for the default
 * synthesizer (`cdk-<qualifier>-assets-<account>-<region>`).
 */
function assetBucketObjectsFinding(scope: Construct): string {
  const stack = Stack.of(scope);
  const synthesizer = stack.synthesizer;
  const qualifier =
    (synthesizer instanceof DefaultStackSynthesizer ? synthesizer.bootstrapQualifier : undefined) ??
    (stack.node.tryGetContext('@aws-cdk/core:bootstrapQualifier') as string | undefined) ??
    DefaultStackSynthesizer.DEFAULT_QUALIFIER;
  const part = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<${pseudo}>` : value);
  return `arn:${part(stack.partition, 'AWS::Partition')}:s3:::cdk-${qualifier}-assets-${part(stack.account, 'AWS::AccountId')}-${part(stack.region, 'AWS::Region')}/*`;
}

/** The built console, or a clear stop when it has not been built. */
function consoleAsset(scope: Construct, dist: string): ISource {
  const index = join(dist, 'index.html');
  if (!existsSync(index)) {
    if (!Stack.of(scope).bundlingRequired) {
      return Source.data('index.html', '<!doctype html><title>Console not built</title><p>Synthesized without bundling: run npm run build.</p>');
    }
    throw new Error(`The admin console is not built (${index} is missing): run \`npm run build\` before \`cdk synth\`.`);
  }
  return Source.asset(dist);
}
