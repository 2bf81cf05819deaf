import { createTheme, PasswordInput, type CSSVariablesResolver } from '@mantine/core';

/**
 * The editor's Mantine theme. Contrast (WCAG AA, 4.5:1 for text): the primary colour is blue at
 * shade 8 (#1971c2, 5.0:1 under white text) rather than Mantine's shade 6 (3.6:1), and the
 * "dimmed" text of the light scheme is gray 7 (#495057, 8:1 on white) rather than gray 6 (3.3:1).
 */
export const theme = createTheme({
  primaryColor: 'blue',
  primaryShade: { light: 8, dark: 8 },
  autoContrast: true,
  defaultRadius: 'md',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  headings: { fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif' },
  components: {
    // Its default name ("Toggle password visibility") would make "Password" name two controls.
    PasswordInput: PasswordInput.extend({ defaultProps: { visibilityToggleButtonProps: { 'aria-label': 'Show or hide what you typed' } } }),
  },
});

export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: { '--mantine-color-dimmed': 'var(--mantine-color-gray-7)' },
  dark: { '--mantine-color-dimmed': 'var(--mantine-color-dark-1)' },
});
