import { ConfigError, loadConfig } from '../config/index.js';
import { Database } from './database.js';
import { StorageError } from './errors.js';

/** `npm run migrate`: applies the schema versions SUPERNOVA_DATABASE_URL's database lacks, and says which. */
async function main(): Promise<number> {
  try {
    const config = loadConfig(process.env);
    if (!config.databaseUrl) {
      process.stderr.write('supernova migrate: set SUPERNOVA_DATABASE_URL (postgres://user@host:port/database)\n');
      return 1;
    }
    const db = new Database({ url: config.databaseUrl, poolSize: 1 });
    try {
      const { applied, current } = await db.start();
      process.stdout.write(applied.length > 0 ? `applied ${applied.join(', ')}; schema version ${current}\n` : `up to date; schema version ${current}\n`);
      return 0;
    } finally {
      await db.stop().catch(() => {});
    }
  } catch (err) {
    if (err instanceof ConfigError || err instanceof StorageError) {
      process.stderr.write(`supernova migrate: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

process.exitCode = await main();
