// js-yaml comes with eslint (no types installed); the image test reads docker-compose.yml with it.
declare module 'js-yaml' {
  export function load(text: string): unknown;
}
