import * as tf from '@tensorflow/tfjs';

export interface NgramConvArgs {
  filters: number;
  /** Tokens each filter reads: 1 a word, 2 a word pair, 3 a triple. */
  width: number;
  kernelSeed?: number;
  name?: string;
  trainable?: boolean;
}

/**
 * A 1-D convolution with ReLU over the real tokens of a text: inputs [features [B, L, C], mask
 * [B, L]] (1 at a token, 0 at padding). Features at padding are zeroed before it and outputs at
 * padding after it, so a text's max-pooled result is the same however much padding its batch
 * has (ReLU outputs are >= 0, so a zero never wins a max over real positions): batches can be cut
 * to their longest text.
 *
 * Written as slices, a concatenation and one matrix product: the wasm backend has no
 * Conv2DBackpropFilter, so tf.layers.conv1d cannot be trained there, and tfjs's cpu one is far
 * slower than a matrix product of the same size. The window of position i is tokens i..i+width-1.
 */
export class NgramConv extends tf.layers.Layer {
  static readonly className = 'NgramConv';
  readonly filters: number;
  readonly width: number;
  private readonly kernelSeed: number | undefined;
  private kernel?: tf.LayerVariable;
  private bias?: tf.LayerVariable;

  constructor(args: NgramConvArgs) {
    super({ name: args.name, trainable: args.trainable });
    this.filters = args.filters;
    this.width = args.width;
    this.kernelSeed = args.kernelSeed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = inputShape[0] as tf.Shape;
    const channels = shape[shape.length - 1] as number;
    this.kernel = this.addWeight('kernel', [this.width * channels, this.filters], 'float32',
      tf.initializers.glorotUniform({ seed: this.kernelSeed }));
    this.bias = this.addWeight('bias', [this.filters], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = inputShape[0] as tf.Shape;
    return [shape[0] ?? null, shape[1] ?? null, this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [features, padMask] = inputs as tf.Tensor[];
      const mask = tf.expandDims(padMask as tf.Tensor2D, 2);
      const x = tf.mul(features as tf.Tensor3D, mask) as tf.Tensor3D;
      const [batch, length, channels] = x.shape;
      let windows: tf.Tensor3D = x;
      if (this.width > 1) {
        const padded = tf.pad(x, [[0, 0], [0, this.width - 1], [0, 0]]);
        const shifted: tf.Tensor3D[] = [];
        for (let s = 0; s < this.width; s++) shifted.push(tf.slice(padded, [0, s, 0], [batch, length, channels]));
        windows = tf.concat(shifted, 2);
      }
      const flat = tf.reshape(windows, [batch * length, this.width * channels]) as tf.Tensor2D;
      const kernel = (this.kernel as tf.LayerVariable).read() as tf.Tensor2D;
      const bias = (this.bias as tf.LayerVariable).read();
      const out = tf.reshape(tf.relu(tf.add(tf.matMul(flat, kernel), bias)), [batch, length, this.filters]);
      return tf.mul(out, mask);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), filters: this.filters, width: this.width };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    return new cls(config as unknown as NgramConvArgs);
  }
}

/** [B, L] ids to the [B, L] float mask NgramConv takes: 1 at a token, 0 at PAD_ID (0). */
export class PadMask extends tf.layers.Layer {
  static readonly className = 'PadMask';

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return inputShape as tf.Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.cast(tf.notEqual((Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor, 0), 'float32'));
  }
}

/**
 * Mean of [B, F, D] embeddings over the positions its [B, F] mask marks (a bag of n-grams, as in
 * fastText); an empty bag gives zeros.
 */
export class MaskedMean extends tf.layers.Layer {
  static readonly className = 'MaskedMean';

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = inputShape[0] as tf.Shape;
    return [shape[0] ?? null, shape[2] ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [values, mask] = inputs as tf.Tensor[];
      const m = tf.expandDims(mask as tf.Tensor2D, 2);
      const sum = tf.sum(tf.mul(values as tf.Tensor3D, m), 1);
      return tf.div(sum, tf.maximum(tf.sum(m, 1), 1));
    });
  }
}

/** Lets tf.loadLayersModel rebuild the layer from model.json (idempotent). */
export function registerCustomLayers(): void {
  tf.serialization.registerClass(NgramConv);
  tf.serialization.registerClass(PadMask);
  tf.serialization.registerClass(MaskedMean);
}
