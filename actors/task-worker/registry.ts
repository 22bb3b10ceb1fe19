import { InvalidTaskArgsError, UnavailableTaskTypeError, UnknownTaskTypeError } from './errors.js';
import type { TaskDefinition } from './types.js';

/** What a task type's name is (it also names its queue in redis mode, so it never holds `~` or `:`). */
export const TYPE_PATTERN = /^[a-z][a-z0-9_.-]{0,63}$/;

/** The task types an engine runs: the built-in ones, and what the embedding application adds. */
export class TaskRegistry {
  private readonly defs = new Map<string, TaskDefinition>();
  /** Built-in types this engine's configuration leaves out, with what they need. */
  private readonly absent = new Map<string, string>();

  register<A, R>(type: string, definition: TaskDefinition<A, R>): this {
    if (!TYPE_PATTERN.test(type)) throw new RangeError(`task type ${JSON.stringify(type)}: 1-64 of a-z 0-9 _ . -, starting with a letter`);
    if (this.defs.has(type)) throw new RangeError(`task type ${type} is already registered`);
    if (definition.timeoutMs !== undefined && !(definition.timeoutMs > 0)) throw new RangeError(`task type ${type}: timeoutMs must be positive`);
    this.defs.set(type, definition as TaskDefinition);
    this.absent.delete(type);
    return this;
  }

  /**
   * Marks a type this engine does not run, and why (`reason` names the settings it needs): a
   * submission of it is refused with that reason (UnavailableTaskTypeError, 400 / 107) rather than
   * as an unknown type. It is not registered: has() is false, so in redis mode a job of it goes
   * back to the queue for an engine that runs it. register() makes it available.
   */
  unavailable(type: string, reason: string): this {
    if (!this.defs.has(type)) this.absent.set(type, reason);
    return this;
  }

  has(type: string): boolean {
    return this.defs.has(type);
  }

  types(): string[] {
    return [...this.defs.keys()];
  }

  /** The definition of a type, or UnknownTaskTypeError. */
  get(type: unknown): TaskDefinition {
    const def = typeof type === 'string' ? this.defs.get(type) : undefined;
    const reason = typeof type === 'string' && !def ? this.absent.get(type) : undefined;
    if (reason !== undefined) throw new UnavailableTaskTypeError(type as string, reason);
    if (!def) throw new UnknownTaskTypeError(typeof type === 'string' ? type : String(typeof type), this.types());
    return def;
  }

  /** The arguments as the type's schema shapes them, or InvalidTaskArgsError with the reason. */
  parse(type: string, args: unknown): unknown {
    const parsed = this.get(type).schema.safeParse(args);
    if (parsed.success) return parsed.data;
    const reason = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || 'args'} ${i.message}`).join('; ');
    throw new InvalidTaskArgsError(`${type}: ${reason}`);
  }
}

/** A definition typed by its own schema, as a value of a map of types (EngineOptions.tasks). */
export function taskType<A, R>(definition: TaskDefinition<A, R>): TaskDefinition {
  return definition as unknown as TaskDefinition;
}
