import { BadRequestException, Controller, Get, Param, Res } from '@nestjs/common';
import { DirectoryClient } from './directory.client';

interface HeaderSink {
  header(name: string, value: string): unknown;
}

/** `GET /directory/:key`: see shared/CONTRACT.md. */
@Controller('directory')
export class DirectoryController {
  constructor(private readonly directory: DirectoryClient) {}

  @Get(':key')
  async get(@Param('key') key: string, @Res({ passthrough: true }) response: HeaderSink): Promise<unknown> {
    // `fetch` resolves dot segments even percent-encoded: the upstream would see `/directory/` or `/`.
    if (key === '.' || key === '..') throw new BadRequestException('a directory key cannot be "." or ".."');
    try {
      const answer = await this.directory.lookup(key);
      // `header` exists on both Express's response and Fastify's reply.
      if (answer.fromCache) response.header('x-served-from', 'cache');
      return answer.body;
    } catch (error) {
      throw DirectoryClient.toHttpError(error, key);
    }
  }
}
