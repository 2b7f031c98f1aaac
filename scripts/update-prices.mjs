// Writes src/Switchyard/Tenancy/Pricing/prices.json from the npm package @pydantic/genai-prices (MIT): per provider,
// how to recognise it and its models, with the four prices the gateway bills (USD per million tokens: input,
// output, cache read, cache write), tiers and time constraints as the package gives them. Run by update-prices.sh.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const [packageDir, outFile] = process.argv.slice(2);
const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
const entry = join(packageDir, 'dist', 'index.cjs');
const prices = createRequire(import.meta.url)(entry);

// The package exports lookups, not its list: every id in the bundle is tried with the package's own findProvider
// and the providers' ids are kept, so what is written is what the package itself would use.
const ids = [...new Set([...readFileSync(entry, 'utf8').matchAll(/\bid:"([^"]+)"/g)].map(m => m[1]))];
const billed = ['input_mtok', 'output_mtok', 'cache_read_mtok', 'cache_write_mtok'];

const keep = p => {
  const out = {};
  for (const k of billed) {
    const v = p?.[k];
    if (typeof v === 'number') out[k] = v;
    else if (v && typeof v === 'object' && typeof v.base === 'number') out[k] = { base: v.base, tiers: v.tiers.map(t => ({ start: t.start, price: t.price })) };
  }
  return out;
};

const providers = [];
for (const id of ids) {
  const p = prices.findProvider({ providerId: id });
  if (!p || p.id !== id) continue;
  const models = p.models.map(m => ({
    id: m.id,
    match: m.match,
    prices: Array.isArray(m.prices)
      ? m.prices.map(c => (c.constraint ? { constraint: c.constraint, prices: keep(c.prices) } : { prices: keep(c.prices) }))
      : keep(m.prices),
  })).filter(m => Array.isArray(m.prices) ? m.prices.some(c => Object.keys(c.prices).length) : Object.keys(m.prices).length);
  providers.push({
    id: p.id,
    api_pattern: p.api_pattern,
    ...(p.model_match ? { model_match: p.model_match } : {}),
    ...(p.fallback_model_providers ? { fallback_model_providers: p.fallback_model_providers } : {}),
    models,
  });
}
const data = { source: pkg.name, version: pkg.version, license: 'MIT', providers };
writeFileSync(outFile, JSON.stringify(data) + '\n');
console.log(`${outFile}: ${providers.length} providers, ${providers.reduce((n, p) => n + p.models.length, 0)} models from ${pkg.name}@${pkg.version}`);
