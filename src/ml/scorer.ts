import type { SentimentResult } from './labels.js';

/**
 * What scores headlines for the engine: the model replicas in worker threads
 * (actors/model-replica), or the model on the calling thread (InProcessScorer). The sentiment
 * pipeline, the analyze API and RPC see only this.
 */
export interface SentimentScorer {
  /** Loads the backend and the model; rejects with an MlError naming what did not load. */
  start(): Promise<void>;
  /** Fails what is still waiting (MlError STOPPED) and frees the model and its threads. */
  stop(): Promise<void>;
  /** Labels and probabilities of each text, in the order given; rejects with an MlError. */
  score(texts: readonly string[]): Promise<SentimentResult[]>;
  /**
   * Loads SUPERNOVA_ML_MODEL_DIR again and, if its files are a new version, makes it score new
   * requests (those under way finish on the old one); true when the version changed. Files that
   * do not load reject with an MlError and leave the current version scoring.
   */
  reload(): Promise<boolean>;
  /** The `models` section of /performance/report and of the metrics channel. */
  report(): ModelsReport;
}

/** What a scorer says about itself; implementations may add figures. */
export interface ModelsReport {
  /** The backend that loaded (`wasm`, `tensorflow`, ...), or null before start. */
  backend: string | null;
  /** The version that scores new requests (modelVersion of its files), or null before start. */
  version: string | null;
  /** Worker threads scoring; 0 for the calling thread. */
  replicas: number;
  /** Texts scored since start. */
  texts: number;
  [figure: string]: unknown;
}
