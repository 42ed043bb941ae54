import 'reflect-metadata';
import { ConfigError } from '@keybridge/platform';
import { bootstrapAdmin } from './commands/bootstrap-admin';
import { migrate } from './commands/migrate';

const USAGE = `usage: keybridge <command>
  migrate                                  apply database migrations
  bootstrap-admin --token-file FILE [--principal NAME]
                                           create the admin principal and write a token to FILE (0600)`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(args: string[]): Promise<number> {
  switch (args[0]) {
    case 'migrate':
      await migrate();
      return 0;
    case 'bootstrap-admin': {
      const file = option(args, '--token-file');
      if (!file) break;
      await bootstrapAdmin(file, option(args, '--principal'));
      return 0;
    }
  }
  console.error(USAGE);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
