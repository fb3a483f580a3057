// Opens the store of a service folder (the command line's token management uses it while the service
// may be running: SQLite's WAL lets both work on the file).
import path from 'node:path';
import { SqliteStore } from './sqlite-store.js';
import { DATABASE_FILE, prepareStoreDir } from './store-layout.js';

export async function openStore(dir: string): Promise<SqliteStore> {
  await prepareStoreDir(dir);
  return new SqliteStore(path.join(dir, DATABASE_FILE));
}
