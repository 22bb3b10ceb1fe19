export { loadBackend, AUTO_BACKEND_ORDER, type LoadedBackend } from './backend.js';
export { ML_BACKEND_CHOICES, type MlBackendChoice, type MlBackendName } from './backend-choice.js';
export { MlError, type MlErrorCode } from './errors.js';
export { SENTIMENT_LABELS, type SentimentLabel, type SentimentResult, type SentimentScores } from './labels.js';
export { SentimentModel, modelVersion } from './sentiment-model.js';
export { cashtagSymbols, tokenize, DEFAULT_TOKENIZER_OPTIONS, type Token, type TokenizerOptions } from './tokenizer.js';
export { InProcessScorer, type InProcessScorerOptions } from './in-process-scorer.js';
export type { ModelsReport, SentimentScorer } from './scorer.js';
