// backoffice: the suite's command-line client and launcher.
import BackofficeCLI
import Foundation
import Glibc

// A closed standard output (a pipe whose reader went away) must not kill the launcher before it
// has stopped the processes it started: writes then fail with EPIPE instead.
signal(SIGPIPE, SIG_IGN)
exit(await BackofficeCommand.main(Array(CommandLine.arguments.dropFirst())))
