/** @jsxImportSource preact */
import type { ComponentChildren } from 'preact';
import { onLinkClick, paths } from '../lib/router';
import { WebhookIcon } from './icons';

/** A link that navigates inside the app (plain clicks) and behaves as a link otherwise. */
export function Link({ to, children, class: className, ...rest }: { to: string; children: ComponentChildren; class?: string; 'aria-current'?: 'page' }) {
  return (
    <a href={to} class={className} onClick={(e) => onLinkClick(e, to)} {...rest}>
      {children}
    </a>
  );
}

/** The signed-in frame: top bar with Sign out, the Developer Tools navigation, the page. */
export function Shell({ children, onSignOut }: { children: ComponentChildren; onSignOut: () => void }) {
  return (
    <div class="app">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <span class="brand">
          <WebhookIcon /> LMS Admin
        </span>
        <button type="button" class="btn btn-ghost" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <div class="layout">
        <nav class="sidebar" aria-labelledby="nav-heading">
          <h2 id="nav-heading" class="nav-heading">
            Developer Tools
          </h2>
          <ul class="nav-list">
            <li>
              <Link to={paths.list()} class="nav-link nav-link-current" aria-current="page">
                Webhooks
              </Link>
            </li>
          </ul>
        </nav>
        <main id="main" class="main" tabIndex={-1}>
          {children}
        </main>
      </div>
    </div>
  );
}

/** Breadcrumb, the page's h1 and, to its right, the page's main actions. */
export function PageHeader({ title, crumbs = [], actions, children }: { title: ComponentChildren; crumbs?: { label: string; to?: string }[]; actions?: ComponentChildren; children?: ComponentChildren }) {
  return (
    <div class="page-header">
      <div class="page-header-text">
        <nav aria-label="Breadcrumb">
          <ol class="breadcrumb">
            <li>Developer Tools</li>
            {crumbs.map((c) => (
              <li key={c.label}>{c.to ? <Link to={c.to}>{c.label}</Link> : <span aria-current="page">{c.label}</span>}</li>
            ))}
          </ol>
        </nav>
        <h1 class="page-title" tabIndex={-1}>
          {title}
        </h1>
        {children}
      </div>
      {actions && <div class="page-actions">{actions}</div>}
    </div>
  );
}
