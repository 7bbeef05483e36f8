// Published manifests (pnpm pack / pnpm publish) carry no devDependencies and no scripts: they name
// packages and tools of this workspace that exist nowhere else, and a consumer never uses them.
module.exports = {
  hooks: {
    beforePacking(manifest) {
      delete manifest.devDependencies;
      delete manifest.scripts;
      return manifest;
    },
  },
};
