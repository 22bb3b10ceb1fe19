export { Database, type DatabaseOptions, type DatabaseReport, type QueryStats } from './database.js';
export { migrate, type MigrationReport } from './migrate.js';
export { migrations, type Migration } from './migrations.js';
export { StorageError, redactDatabaseUrl, type StorageErrorCode } from './errors.js';
export { barSink, isBarRow } from './bar-sink.js';
export { PostgresBarArchive, type ArchiveCache, type PostgresBarArchiveOptions } from './bar-archive.js';
