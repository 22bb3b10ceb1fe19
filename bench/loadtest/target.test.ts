import { describe, expect, it } from 'vitest';
import { targetFromUrl } from './target.js';

describe('targetFromUrl', () => {
  it('adds the WebSocket path to a bare origin and derives the HTTP origin', () => {
    expect(targetFromUrl('ws://host:8081', undefined)).toMatchObject({ wsUrl: 'ws://host:8081/connection/websocket', httpUrl: 'http://host:8081' });
    expect(targetFromUrl('wss://a.example/custom/ws', 'k')).toMatchObject({ wsUrl: 'wss://a.example/custom/ws', httpUrl: 'https://a.example', apiKey: 'k' });
  });
  it('refuses what is not a WebSocket URL', () => {
    expect(() => targetFromUrl('host:8081', undefined)).toThrow(/must start with ws:\/\/ or wss:\/\//);
    expect(() => targetFromUrl('not a url', undefined)).toThrow(/is not a URL/);
  });
});
