// Dead letters kept in a folder, one subfolder per letter: letter.json (study, reason, attempts, time,
// the instances' UIDs) and the Part 10 files themselves, so an operator can also store them by hand.
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DeadLetter, DeadLetterStore } from './forward.js';

const LETTER = 'letter.json';

interface LetterFile extends Omit<DeadLetter, 'instances'> {
  instances: { sopInstanceUid: string; file: string }[];
}

export class FolderDeadLetters implements DeadLetterStore {
  constructor(readonly dir: string) {}

  async put(letter: DeadLetter): Promise<void> {
    const final = path.join(this.dir, letter.id);
    const staging = `${final}.tmp`;
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    const instances = letter.instances.map((i, k) => ({ sopInstanceUid: i.sopInstanceUid, file: `${k + 1}.dcm` }));
    await Promise.all(letter.instances.map((i, k) => writeFile(path.join(staging, instances[k].file), i.bytes)));
    const { instances: _bytes, ...rest } = letter;
    await writeFile(
      path.join(staging, LETTER),
      JSON.stringify({ ...rest, instances } satisfies LetterFile, null, 2) + '\n',
    );
    await rm(final, { recursive: true, force: true });
    await rename(staging, final);
  }

  async list(): Promise<DeadLetter[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const letters: DeadLetter[] = [];
    for (const name of names.filter((n) => !n.endsWith('.tmp')).sort()) {
      const folder = path.join(this.dir, name);
      const json = JSON.parse(await readFile(path.join(folder, LETTER), 'utf8')) as LetterFile;
      const instances = await Promise.all(
        json.instances.map(async (i) => ({
          sopInstanceUid: i.sopInstanceUid,
          bytes: new Uint8Array(await readFile(path.join(folder, i.file))),
        })),
      );
      letters.push({ ...json, instances });
    }
    return letters;
  }

  async remove(id: string): Promise<void> {
    await rm(path.join(this.dir, id), { recursive: true, force: true });
  }
}
