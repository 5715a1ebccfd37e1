/**
 * The resource definitions the CDK stack and the local stack build from. They live in
 * shared/resources.ts because the functions read the same names at run time (environment
 * variables, key prefixes, metric names), and shared/ never imports infra/.
 */
export * from '../shared/resources';
