import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { OwnerFreeQuery } from '../../common/owner-free.query';
import { toInt } from '../../common/validators';
import { CURSOR_PATTERN } from '../feed-event';

export const EVENT_PAGE_SIZE = { default: 50, max: 500 } as const;

export class ListEventsQueryDto extends OwnerFreeQuery {
  @ApiPropertyOptional({
    description: 'Return events after this cursor: the `nextCursor` of the previous page (or an event id). Omit it to start at the oldest event kept.',
    example: '1764100000000-0',
  })
  @IsOptional()
  @Matches(CURSOR_PATTERN, { message: 'after must be a cursor from a previous page (nextCursor, or an event id such as 1764100000000-0)' })
  after?: string;

  @ApiPropertyOptional({ description: `Most events to return (1 to ${EVENT_PAGE_SIZE.max}, default ${EVENT_PAGE_SIZE.default})`, example: 50, minimum: 1, maximum: EVENT_PAGE_SIZE.max })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(EVENT_PAGE_SIZE.max)
  limit?: number;
}
