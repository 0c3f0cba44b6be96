/// The `backoffice` command: dispatches to its subcommands.
public enum BackofficeCommand {
    static let help = """
        Usage: backoffice <command> [options]

        Commands:
          up        start the whole suite on this machine (Ctrl-C stops it)
          login     log in through the gateway and keep the session
          logout    end the session
          whoami    show who the saved session belongs to
          services  list every service and method with its access rule
          describe  show a method's request and response fields
          call      call any method with JSON in and JSON out
          users     list | create            accounts (staff and customers)
          content   list | publish           content items
          orders    list | show              orders
          stats     summary                  figures of the last days
          audit     list                     the audit trail
          backup    copy every database of a running suite into a folder
          restore   put a backup back into a stopped suite's data folder

        Run `backoffice <command> --help` for a command's options.
        """

    /// Runs the command line `words` (without the program name); returns the exit status.
    public static func main(_ words: [String], context: CommandContext = .current()) async -> Int32 {
        guard let command = words.first else {
            context.err(help)
            return 2
        }
        let rest = Array(words.dropFirst())
        switch command {
        case "up": return await UpCommand.run(rest, context: context)
        case "call": return await CallCommand.run(rest, context: context)
        case "login": return await SessionCommands.login(rest, context: context)
        case "logout": return await SessionCommands.logout(rest, context: context)
        case "whoami": return await SessionCommands.whoami(rest, context: context)
        case "services": return await ReflectionCommands.services(rest, context: context)
        case "describe": return await ReflectionCommands.describe(rest, context: context)
        case "users", "content", "orders", "stats", "audit": return await DailyCommands.run(command, rest, context: context)
        case "backup": return await BackupCommands.backup(rest, context: context)
        case "restore": return await BackupCommands.restore(rest, context: context)
        case "--help", "-h", "help":
            context.out(help)
            return 0
        default:
            context.err("backoffice: unknown command \(command) (see backoffice --help)")
            return 2
        }
    }
}
