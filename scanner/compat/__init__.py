"""What teams coming from gitleaks or detect-secrets already have, read as it is.

A team that switches scanners keeps its custom rules (`.gitleaks.toml`), its
accepted findings (`.gitleaksignore`, `.secrets.baseline`) and its habits. This
package turns those into keysweep's own terms, and says plainly what it could not
carry over, so nothing is silently lost in the switch:

- `gitleaks_regex`: gitleaks (Go) regexes and path regexes → keysweep patterns
  with one `secret` group, and path globs;
- `gitleaks_config`: a `.gitleaks.toml` (with `[extend]`) → keysweep rule mappings;
- `examples`: examples and negative examples for converted rules, so that the
  output passes `keysweep rules check` like any hand-written rule file;
- `gitleaksignore`: `.gitleaksignore` fingerprints → findings to leave out.
"""
