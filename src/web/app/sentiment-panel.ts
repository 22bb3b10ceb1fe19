import type { Centrifuge, Subscription } from 'centrifuge';
import { badgeText, readSentiment, rollingText, type ScoredHeadline } from './sentiment-view.js';

/** Headlines kept on screen; older ones scroll away. */
const MAX_HEADLINES = 20;

/**
 * Latest scored headlines of the selected symbol (label and its probability) and the symbol's
 * rolling sentiment (EMA of bullish - bearish, the newest hour's counts), live from
 * `sentiment:SYM`. Until the first message the panel shows its empty state.
 */
export class SentimentPanel {
  private sub: Subscription | undefined;

  constructor(private readonly el: HTMLElement, private readonly client: Centrifuge) {}

  show(symbol: string): void {
    this.close();
    this.clear();
    const sub = this.client.newSubscription(`sentiment:${symbol}`);
    sub.on('publication', (ctx) => this.add(ctx.data as unknown));
    sub.subscribe();
    this.sub = sub;
  }

  private close(): void {
    if (!this.sub) return;
    this.sub.removeAllListeners();
    this.sub.unsubscribe();
    this.client.removeSubscription(this.sub);
    this.sub = undefined;
  }

  private clear(): void {
    this.list().replaceChildren();
    this.rolling().textContent = '—';
    this.rolling().dataset['label'] = 'none';
    this.el.dataset['empty'] = 'true';
  }

  private add(data: unknown): void {
    const { headline, rolling } = readSentiment(data);
    if (rolling) {
      this.rolling().textContent = rollingText(rolling);
      this.rolling().dataset['label'] = rolling.label;
    }
    if (!headline) return;
    this.el.dataset['empty'] = 'false';
    const list = this.list();
    list.prepend(item(headline));
    while (list.childElementCount > MAX_HEADLINES) list.lastElementChild?.remove();
  }

  private list(): HTMLElement {
    return this.el.querySelector('.headlines') as HTMLElement;
  }

  private rolling(): HTMLElement {
    return this.el.querySelector('.rolling') as HTMLElement;
  }
}

function item(h: ScoredHeadline): HTMLLIElement {
  const li = document.createElement('li');
  li.dataset['id'] = h.id;
  const badge = document.createElement('span');
  badge.className = 'badge';
  badge.dataset['label'] = h.label;
  badge.textContent = badgeText(h);
  const text = document.createElement('span');
  text.className = 'text';
  text.textContent = h.text;
  li.append(badge, text);
  return li;
}
