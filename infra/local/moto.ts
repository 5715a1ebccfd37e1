import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { access, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** Thrown by {@link startMoto} when neither `moto_server` nor the `moto.server` Python module is available. */
export class MotoMissingError extends Error {
  constructor() {
    super(
      "moto_server was not found (neither on PATH nor as the python3 module moto.server); install it with `pip install 'moto[server]'`",
    );
    this.name = 'MotoMissingError';
  }
}

/** How to launch moto: a command and its leading arguments (host and port are appended). */
export interface MotoCommand {
  command: string;
  args: string[];
}

/** A running moto_server. */
export interface MotoServer {
  /** Base URL for the AWS SDKs' `endpoint` option, e.g. `http://127.0.0.1:4566`. */
  endpoint: string;
  port: number;
  /** Process id of moto, which is also its process group id. */
  pid: number;
  /** Stops moto and everything it spawned; resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /** Port to listen on; `0` picks a free one. */
  port: number;
  /** Interface to bind; loopback by default, and it should stay that way. */
  host?: string;
  /** When false, moto's own output is forwarded to this process's stderr. Default true. */
  quiet?: boolean;
}

const READY_TIMEOUT_MS = 30_000;
const KILL_GRACE_MS = 3_000;
const KEPT_OUTPUT_LINES = 50;

/**
 * Finds a way to run moto: a `moto_server` executable on PATH, else `python3 -m moto.server`
 * if that module imports. PATH is scanned directly rather than through `which`, which is not
 * installed everywhere.
 */
export async function findMoto(): Promise<MotoCommand | null> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'moto_server');
    if (await isExecutableFile(candidate)) return { command: candidate, args: [] };
  }
  const importable = await new Promise<boolean>((resolve) => {
    execFile('python3', ['-c', 'import moto.server'], { timeout: 20_000 }, (error) => resolve(!error));
  });
  return importable ? { command: 'python3', args: ['-m', 'moto.server'] } : null;
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Asks the OS for a free TCP port on 127.0.0.1. Another process may take it before it is used. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not determine a free port'))));
    });
  });
}

/** Resolves true if something already listens on host:port (we cannot bind it ourselves). */
async function portInUse(port: number, host: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(true);
      else reject(error);
    });
    server.listen(port, host, () => server.close(() => resolve(false)));
  });
}

/**
 * Starts moto_server on host:port and resolves once it answers HTTP.
 *
 * moto runs detached in its own process group so that `stop()` also reaches whatever it
 * spawned (a pyenv shim, werkzeug's reloader). Nothing is registered on this process's
 * signals: the caller decides when to stop it.
 *
 * @throws MotoMissingError if moto is not installed.
 * @throws Error if the port is taken, or moto exits or stays silent for 30 s (with its last output).
 */
export async function startMoto(opts: StartMotoOptions): Promise<MotoServer> {
  const host = opts.host ?? '127.0.0.1';
  const quiet = opts.quiet ?? true;
  const moto = await findMoto();
  if (!moto) throw new MotoMissingError();

  const port = opts.port === 0 ? await freePort() : opts.port;
  // Checked up front because moto's own failure ("Address already in use" deep in a Python
  // traceback) does not tell the user which setting to change.
  if (await portInUse(port, host)) {
    throw new Error(
      `port ${port} on ${host} is already in use, so moto_server cannot listen there; stop whatever holds it or choose another port with AWS_ENDPOINT_PORT`,
    );
  }

  const child = spawn(moto.command, [...moto.args, '-H', host, '-p', String(port)], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = captureOutput(child, quiet);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= killGroup(child, exited);
    return stopping;
  };

  const endpoint = `http://${host}:${port}`;
  try {
    await waitUntilReady(endpoint, child, exited, spawnError, output);
  } catch (error) {
    await stop();
    throw error;
  }
  if (child.pid === undefined) throw new Error('moto_server did not start (no pid)');
  return { endpoint, port, pid: child.pid, stop };
}

/** Keeps the last lines of moto's output for error messages; forwards them when not quiet. */
function captureOutput(child: ChildProcess, quiet: boolean): () => string {
  const lines: string[] = [];
  let partial = '';
  const onData = (chunk: Buffer) => {
    if (!quiet) process.stderr.write(chunk);
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    if (lines.length > KEPT_OUTPUT_LINES) lines.splice(0, lines.length - KEPT_OUTPUT_LINES);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return () => [...lines, partial].filter(Boolean).slice(-KEPT_OUTPUT_LINES).join('\n');
}

async function waitUntilReady(
  endpoint: string,
  child: ChildProcess,
  exited: Promise<void>,
  spawnError: Promise<Error>,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let gone: string | undefined;
  void exited.then(() => (gone = `moto_server exited (code ${child.exitCode}, signal ${child.signalCode})`));
  void spawnError.then((error) => (gone = `moto_server could not be started: ${error.message}`));

  while (Date.now() < deadline) {
    if (gone) break;
    try {
      // Any HTTP answer means werkzeug is serving; the status does not matter.
      await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const reason = gone ?? `moto_server did not answer on ${endpoint} within ${READY_TIMEOUT_MS / 1000} s`;
  const captured = output();
  throw new Error(captured ? `${reason}; its last output:\n${captured}` : reason);
}

/** SIGTERM to the whole group, SIGKILL after a grace period, resolved when the leader has exited. */
async function killGroup(child: ChildProcess, exited: Promise<void>): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  };
  if (child.exitCode === null && child.signalCode === null) signalGroup('SIGTERM');
  const timer = setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS);
  await exited;
  clearTimeout(timer);
  // The leader may exit on SIGTERM before a grandchild does; make sure none outlives stop().
  signalGroup('SIGKILL');
  child.stdout?.destroy();
  child.stderr?.destroy();
}
