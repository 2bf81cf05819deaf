import { useEffect, useState } from 'react';

/**
 * The page shown is the URL's hash (`#/flows/<id>`): the API serves one static index.html, so
 * hash routes survive a reload without a server-side fallback route.
 */
export function useHashRoute(): string[] {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return hash.replace(/^#\/?/, '').split('/').filter(Boolean);
}

export function navigate(path: string): void {
  window.location.hash = path;
}
