// What the devices list shows (U4, seed 003 "Authorized Devices"): a browser or app name and an operating system,
// read from the sign-in request's User-Agent. A rough reading is enough to recognise one's own devices; anything
// unrecognised is shown as such rather than guessed.
export interface Device {
  deviceType: string;
  deviceOs: string;
}

const OPERATING_SYSTEMS: [RegExp, string][] = [
  [/\b(iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\b(Mac OS X|Macintosh)\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

// Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
const CLIENTS: [RegExp, string][] = [
  [/\bImmich\b|\bDart\//i, 'Mobile app'],
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\b(OPR|Opera)\//, 'Opera'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\b(Chrome|CriOS|Chromium)\//, 'Chrome'],
  [/\bSafari\//, 'Safari'],
  [/^curl\//, 'curl'],
];

export function deviceFromUserAgent(userAgent: string | undefined): Device {
  const ua = (userAgent ?? '').slice(0, 512);
  const os = OPERATING_SYSTEMS.find(([pattern]) => pattern.test(ua))?.[1] ?? 'Unknown';
  const client = CLIENTS.find(([pattern]) => pattern.test(ua))?.[1] ?? (ua ? 'Other client' : 'Unknown');
  return { deviceType: client, deviceOs: os };
}
