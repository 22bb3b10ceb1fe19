import type { Centrifuge } from 'centrifuge';
import type { RecoveryOutcome } from './chart-feed.js';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'recovered' | 'resynced' | 'disconnected';

const TEXT: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  connected: 'Live',
  reconnecting: 'Reconnecting…',
  recovered: 'Live · recovered',
  resynced: 'Live · history reloaded',
  disconnected: 'Disconnected',
};

/**
 * The header's connection badge. `data-state` carries the machine-readable state (styling and
 * tests); the text is announced politely by screen readers (role=status in the markup).
 */
export class ConnectionIndicator {
  private everConnected = false;

  constructor(private readonly el: HTMLElement, client: Centrifuge) {
    this.set('connecting');
    client.on('connecting', () => this.set(this.everConnected ? 'reconnecting' : 'connecting'));
    client.on('connected', () => {
      this.everConnected = true;
      this.set('connected');
    });
    client.on('disconnected', () => this.set('disconnected'));
  }

  /** The chart's recoverable subscription came back: say whether nothing was lost. */
  recovery(outcome: RecoveryOutcome): void {
    this.set(outcome);
  }

  private set(state: ConnectionState): void {
    this.el.dataset['state'] = state;
    const label = this.el.querySelector('.label');
    if (label) label.textContent = TEXT[state];
  }
}
