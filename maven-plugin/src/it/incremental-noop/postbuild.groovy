def log = new File(basedir, 'build.log').text
int first = log.indexOf('cnnc: generated 2 models, 0 up to date, 0 removed')
int second = log.indexOf('cnnc: nothing to generate, 2 models are up to date (target/generated-sources/cnnc)')
assert first >= 0 : 'the first build generates both models'
assert second > first : 'the second build generates nothing'
true
