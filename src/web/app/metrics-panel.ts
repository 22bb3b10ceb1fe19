import type { Centrifuge } from 'centrifuge';
import { frameBatched } from './frame.js';
import { describeMetrics, type MetricRow } from './metrics-view.js';

/** The engine panel: the `metrics` channel's 1 Hz snapshot as label/value pairs. */
export class MetricsPanel {
  private rows: MetricRow[] = [];
  private readonly render = frameBatched(() => this.paint());

  constructor(private readonly el: HTMLElement, client: Centrifuge) {
    const sub = client.newSubscription('metrics');
    sub.on('publication', (ctx) => {
      this.rows = describeMetrics(ctx.data as unknown);
      this.render();
    });
    sub.subscribe();
  }

  private paint(): void {
    const dl = this.el.querySelector('dl') as HTMLElement;
    this.el.dataset['empty'] = String(this.rows.length === 0);
    dl.replaceChildren(...this.rows.flatMap((r) => {
      const dt = document.createElement('dt');
      dt.textContent = r.label;
      dt.title = r.key;
      const dd = document.createElement('dd');
      dd.textContent = r.value;
      dd.dataset['key'] = r.key;
      return [dt, dd];
    }));
  }
}
