// backoffice: the suite's command-line client and launcher.
import BackofficeCLI
import Foundation

exit(await BackofficeCommand.main(Array(CommandLine.arguments.dropFirst())))
