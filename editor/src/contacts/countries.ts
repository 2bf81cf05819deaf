import { getCountries, getCountryCallingCode } from 'libphonenumber-js/min';

const names = new Intl.DisplayNames(['en'], { type: 'region' });

/** Every country phone numbers are known for, by name, with its calling code ("Brazil (+55)"). */
export const COUNTRY_OPTIONS: { value: string; label: string }[] = getCountries()
  .map((code) => ({ value: code, label: `${names.of(code) ?? code} (+${getCountryCallingCode(code)})` }))
  .sort((a, b) => a.label.localeCompare(b.label));
