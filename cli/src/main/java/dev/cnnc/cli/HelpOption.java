package dev.cnnc.cli;

import picocli.CommandLine.Option;

/** {@code -h/--help} on every command; picocli then skips the required-parameter checks, so help always works. */
final class HelpOption {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;
}
