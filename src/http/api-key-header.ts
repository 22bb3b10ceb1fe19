/**
 * The API key a request presents, in either of the forms Centrifugo's server API takes:
 * `Authorization: apikey KEY` or `X-API-Key: KEY`. The first wins when both are sent.
 */
export function presentedApiKey(headers: Readonly<Record<string, string | undefined>>): string | undefined {
  const auth = headers.authorization;
  if (auth !== undefined) {
    const match = /^\s*apikey\s+(.+?)\s*$/i.exec(auth);
    if (match) return match[1];
  }
  const key = headers['x-api-key']?.trim();
  return key === undefined || key === '' ? undefined : key;
}
