/** @jsxImportSource preact */
import type { ComponentChildren } from 'preact';

/** Inline SVG icons (no icon font, no network): decorative, so hidden from assistive tech. */
function Icon({ children, size = 16 }: { children: ComponentChildren; size?: number }) {
  return (
    <svg class="icon" width={size} height={size} viewBox="0 0 16 16" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">
      {children}
    </svg>
  );
}

export const DotsIcon = () => (
  <Icon>
    <circle cx="3" cy="8" r="1.3" fill="currentColor" stroke="none" />
    <circle cx="8" cy="8" r="1.3" fill="currentColor" stroke="none" />
    <circle cx="13" cy="8" r="1.3" fill="currentColor" stroke="none" />
  </Icon>
);
export const PlusIcon = () => (
  <Icon>
    <path d="M8 3v10M3 8h10" />
  </Icon>
);
export const DownloadIcon = () => (
  <Icon>
    <path d="M8 2.5v8M4.5 7 8 10.5 11.5 7M3 13.5h10" />
  </Icon>
);
export const RefreshIcon = () => (
  <Icon>
    <path d="M13 3v3.5H9.5" />
    <path d="M12.6 6.3A5 5 0 1 0 13 9.5" />
  </Icon>
);
export const CheckIcon = () => (
  <Icon>
    <path d="m3 8.5 3 3 7-7" />
  </Icon>
);
export const AlertIcon = () => (
  <Icon>
    <path d="M8 2 1.5 13.5h13z" />
    <path d="M8 6.5v3M8 11.6v.1" />
  </Icon>
);
export const InfoIcon = () => (
  <Icon>
    <circle cx="8" cy="8" r="6.2" />
    <path d="M8 7.3v4M8 4.8v.1" />
  </Icon>
);
export const BackIcon = () => (
  <Icon>
    <path d="M10 3 5 8l5 5" />
  </Icon>
);
export const WebhookIcon = () => (
  <Icon>
    <circle cx="4" cy="11.5" r="1.8" />
    <circle cx="12" cy="11.5" r="1.8" />
    <circle cx="8" cy="4" r="1.8" />
    <path d="M7 5.6 4.8 9.8M9 5.6l2.2 4.2M5.8 11.5h4.4" />
  </Icon>
);
