/**
 * What SUPERNOVA_ML_BACKEND may name (apart from backend.ts so the config schema can list them
 * without loading TensorFlow.js).
 */
export const ML_BACKEND_CHOICES = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type MlBackendChoice = (typeof ML_BACKEND_CHOICES)[number];
export type MlBackendName = Exclude<MlBackendChoice, 'auto'>;
