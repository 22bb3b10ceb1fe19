import { loadBackend, type LoadedBackend } from './backend.js';
import type { MlBackendChoice } from './backend-choice.js';
import { MlError } from './errors.js';
import type { SentimentResult } from './labels.js';
import type { ModelsReport, SentimentScorer } from './scorer.js';
import { modelVersion, SentimentModel } from './sentiment-model.js';

export interface InProcessScorerOptions {
  modelDir: string;
  backend: MlBackendChoice;
}

/**
 * The model on the calling thread: each call holds the event loop for the length of its
 * inference (about 5 ms for one text, 11 ms for 32 on wasm here). For tools, tests and
 * SUPERNOVA_ML_REPLICAS=0; the engine otherwise scores in worker threads.
 */
export class InProcessScorer implements SentimentScorer {
  private model: SentimentModel | undefined;
  private backend: LoadedBackend | undefined;
  private stopped = false;
  private texts = 0;

  constructor(private readonly options: InProcessScorerOptions) {}

  async start(): Promise<void> {
    this.backend = await loadBackend(this.options.backend);
    this.model = await SentimentModel.load(this.options.modelDir);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.model?.dispose();
    this.model = undefined;
  }

  async reload(): Promise<boolean> {
    const current = this.model;
    if (this.stopped || !current) throw new MlError(this.stopped ? 'STOPPED' : 'MODEL_NOT_LOADED', 'the scorer is not running');
    if (modelVersion(this.options.modelDir) === current.version) return false;
    const next = await SentimentModel.load(this.options.modelDir);
    // Scoring is synchronous: no call is under way on the old model while this runs.
    this.model = next;
    current.dispose();
    return true;
  }

  async score(texts: readonly string[]): Promise<SentimentResult[]> {
    if (this.stopped) throw new MlError('STOPPED', 'the scorer was stopped');
    if (!this.model) throw new MlError('MODEL_NOT_LOADED', 'the scorer is not started');
    const results = this.model.score(texts);
    this.texts += texts.length;
    return results;
  }

  report(): ModelsReport {
    return { backend: this.backend?.name ?? null, version: this.model?.version ?? null, replicas: 0, texts: this.texts };
  }
}
