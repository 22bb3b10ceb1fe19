import type { SubscribeOverride } from '../../src/auth/index.js';
import type { NamespaceOptions } from '../../src/config/index.js';

/**
 * The namespace's options with a token's overrides applied, for this one subscription (a `subs`
 * entry of a connection token, or a subscription token). force_positioning is not an option of
 * the namespace: the caller passes it as the client's own wish for positioning.
 */
export function overriddenOptions(options: NamespaceOptions, o: SubscribeOverride): NamespaceOptions {
  if (o.presence === undefined && o.joinLeave === undefined && o.forceRecovery === undefined) return options;
  return {
    ...options,
    ...(o.presence === undefined ? {} : { presence: o.presence }),
    ...(o.joinLeave === undefined ? {} : { joinLeave: o.joinLeave }),
    ...(o.forceRecovery === undefined ? {} : { recoverable: o.forceRecovery }),
  };
}
