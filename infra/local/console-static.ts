/**
 * Serves the built admin console (console/dist) from the local stack's HTTP server, as
 * CloudFront serves it on AWS: files with their content types, index.html for app paths
 * (the single-page app routes them), long caching for Vite's hashed assets only, and the
 * same security headers as the distribution's response headers policy.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm run build` writes the console. */
export const CONSOLE_DIST = fileURLToPath(new URL('../../console/dist/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.webmanifest': 'application/manifest+json',
};

/**
 * The console's security headers; console-site.ts sets the same ones at CloudFront. The
 * console calls only its own origin (`connect-src 'self'`); CSV downloads are navigations
 * to presigned S3 links, which connect-src does not govern.
 */
export const CONSOLE_SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

/** Vite's fingerprinted output: safe to cache for a year. Everything else is revalidated. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

export interface ConsoleStaticOptions {
  /** The built console; default console/dist. */
  root?: string;
}

type Fallback = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/**
 * Returns the local stack's `fallback`: answers GET and HEAD for the console's files and
 * its app paths, and returns false (the adapter's 404) for anything else.
 */
export function consoleStatic(options: ConsoleStaticOptions = {}): Fallback {
  const root = resolve(options.root ?? CONSOLE_DIST);

  /** The file under root for a URL path, or null for a path that tries to leave it. */
  const locate = (urlPath: string): string | null => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return null;
    }
    if (decoded.includes('\0') || decoded.includes('\\')) return null;
    const segments = decoded.split('/');
    if (segments.some((s) => s === '..' || s === '.')) return null;
    const file = resolve(root, `.${decoded}`);
    return file === root || file.startsWith(root + sep) ? file : null;
  };

  const isFile = async (file: string) => {
    try {
      const info = await stat(file);
      return info.isFile() ? info : null;
    } catch {
      return null;
    }
  };

  return async (req, res) => {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') return false;
    const urlPath = (req.url ?? '/').split('?')[0]!.split('#')[0] || '/';
    if (!urlPath.startsWith('/')) return false;

    const file = locate(urlPath);
    if (file === null) return sendText(res, method, 400, 'Bad Request');

    let target = file;
    let info = urlPath.endsWith('/') ? null : await isFile(file);
    if (!info) {
      // Paths without an extension are the app's own routes (/webhooks/wh_...): the app
      // decides what they show. A missing file with an extension is a plain 404.
      if (extname(urlPath) !== '') return false;
      target = resolve(root, 'index.html');
      info = await isFile(target);
      if (!info) {
        return sendText(res, method, 503, 'The admin console is not built. Run `npm run build`, then reload this page.');
      }
    }

    const isAsset = target.startsWith(resolve(root, 'assets') + sep);
    const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    for (const [name, value] of Object.entries(CONSOLE_SECURITY_HEADERS)) res.setHeader(name, value);
    res.setHeader('content-type', CONTENT_TYPES[extname(target).toLowerCase()] ?? 'application/octet-stream');
    res.setHeader('cache-control', isAsset ? IMMUTABLE : REVALIDATE);
    res.setHeader('etag', etag);
    res.setHeader('last-modified', new Date(info.mtimeMs).toUTCString());

    if (req.headers['if-none-match'] === etag) {
      res.statusCode = 304;
      res.end();
      return true;
    }
    res.setHeader('content-length', info.size);
    res.statusCode = 200;
    if (method === 'HEAD') {
      res.end();
      return true;
    }
    await new Promise<void>((done, fail) => {
      const stream = createReadStream(target);
      stream.on('error', fail);
      res.on('close', () => {
        stream.destroy();
        done();
      });
      stream.pipe(res);
    });
    return true;
  };
}

function sendText(res: ServerResponse, method: string, status: number, text: string): true {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(method === 'HEAD' ? undefined : text);
  return true;
}

/** The local stack's `fallback` for the built console in console/dist. */
export const fallback: Fallback = consoleStatic();
