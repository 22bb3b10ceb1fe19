/** Where Debian's chromium package puts the browser the dashboard test drives. */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/** The browser the dashboard test drives: CHROMIUM_PATH, or Debian's package. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env['CHROMIUM_PATH'] || DEBIAN_CHROMIUM;
}
