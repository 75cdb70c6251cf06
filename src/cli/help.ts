/**
 * How `--help` reads: a required flag says "(required)" (commander checks `requiredOption`s but
 * does not mark them). Set on the root program before its commands are added: subcommands inherit it.
 */
import { Help, type Command, type Option } from 'commander';

export function configureHelp(program: Command): Command {
  return program.configureHelp({
    optionDescription(this: Help, option: Option): string {
      const text = Help.prototype.optionDescription.call(this, option);
      return option.mandatory ? `${text} (required)` : text;
    },
  });
}
