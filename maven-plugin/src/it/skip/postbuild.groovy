def log = new File(basedir, 'build.log').text
assert log.contains('cnnc: skipped (cnnc.skip)')
assert !new File(basedir, 'target/generated-sources/cnnc').exists()
true
