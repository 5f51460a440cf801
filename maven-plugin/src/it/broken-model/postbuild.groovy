def log = new File(basedir, 'build.log').text
def file = 'src/main/cnn/com/example/models/broken.cnn'.replace('/', File.separator)
assert log.contains('cnnc found 2 errors in 1 .cnn file:')
assert log.contains(file + ':3:19: unknown layer') : log
assert log.contains(file + ':5:')
// The full report: the source line and a caret under the mistake.
assert log.contains('conv 4 3x3; relu; maxpol 2')
assert log =~ /(?m)^\[ERROR\] +\^/
assert !(log =~ /(?m)^\s+at [a-z]+\./) : 'no stack trace'
true
