// A real Orthanc (Debian's orthanc + orthanc-dicomweb) for the DICOMweb tests: its own JSON config,
// storage folder and free loopback port, started and stopped by the test. Orthanc 1.10 listens on
// every interface; RemoteAccessAllowed false makes it refuse anything but loopback clients, and its
// DICOM (DIMSE) server is off. Restarting keeps the port and the storage, as a PACS that went down
// and came back.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const ORTHANC_BIN = process.env.PNEUMO_ORTHANC ?? '/usr/sbin/Orthanc';
export const DICOMWEB_PLUGIN =
  process.env.PNEUMO_ORTHANC_DICOMWEB ?? '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export class Orthanc {
  private child: ChildProcess | null = null;
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get dicomweb(): string {
    return `${this.url}/dicom-web`;
  }

  static async start(dir: string): Promise<Orthanc> {
    mkdirSync(path.join(dir, 'storage'), { recursive: true });
    const orthanc = new Orthanc(dir, await freePort());
    const config = {
      Name: 'pneumo-test',
      StorageDirectory: path.join(dir, 'storage'),
      IndexDirectory: path.join(dir, 'storage'),
      Plugins: [DICOMWEB_PLUGIN],
      HttpPort: orthanc.port,
      RemoteAccessAllowed: false,
      AuthenticationEnabled: false,
      DicomServerEnabled: false,
      HttpCompressionEnabled: false,
      StorageCompression: false,
      ConcurrentJobs: 1,
      HttpThreadsCount: 4,
      DicomWeb: { Enable: true, Root: '/dicom-web/', EnableWado: false },
    };
    writeFileSync(path.join(dir, 'orthanc.json'), JSON.stringify(config, null, 2));
    await orthanc.resume();
    return orthanc;
  }

  /** Starts (again) with the same port and storage; resolves when the REST API answers. */
  async resume(): Promise<void> {
    if (this.child) return;
    const log = openSync(path.join(this.dir, 'orthanc.log'), 'a');
    const child = spawn(ORTHANC_BIN, [path.join(this.dir, 'orthanc.json')], { stdio: ['ignore', log, log] });
    closeSync(log);
    this.child = child;
    let exited = false;
    child.once('exit', () => {
      exited = true;
      if (this.child === child) this.child = null;
    });
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (exited)
        throw new Error(
          `Orthanc exited while starting: ${readFileSync(path.join(this.dir, 'orthanc.log'), 'utf8').slice(-800)}`,
        );
      try {
        const response = await fetch(`${this.url}/plugins`);
        if (response.ok && ((await response.json()) as string[]).includes('dicom-web')) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    await this.stop();
    throw new Error(
      `Orthanc did not answer on port ${this.port} within 20 s (log: ${path.join(this.dir, 'orthanc.log')})`,
    );
  }

  /** Stops Orthanc and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** GET on Orthanc's own REST API, as JSON. */
  async rest<T>(route: string): Promise<T> {
    const response = await fetch(`${this.url}${route}`);
    if (!response.ok) throw new Error(`Orthanc ${route}: ${response.status}`);
    return (await response.json()) as T;
  }
}
