import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export interface FastReceiver {
  url: string;
  pid: number;
  /** POSTs answered so far. */
  stats(): Promise<{ received: number; bytes: number }>;
  close(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL('./receiver-server.mjs', import.meta.url));

/** Starts the fast receiver (bench/receiver-server.mjs) on 127.0.0.1 in its own process. */
export async function startFastReceiver(): Promise<FastReceiver> {
  const child: ChildProcess = spawn(process.execPath, [SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error('the bench receiver did not start within 10 s')), 10_000);
    child.once('exit', (code) => reject(new Error(`the bench receiver exited (${code})`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const line = buffered.split('\n')[0];
      if (buffered.includes('\n') && line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      }
    });
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    pid: child.pid!,
    async stats() {
      const res = await fetch(`${url}/__stats`);
      return (await res.json()) as { received: number; bytes: number };
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
